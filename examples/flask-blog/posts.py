"""The blog's posts: plain data, shared by the web app and the worker."""

POSTS = [
    {
        "slug": "hello-procrun",
        "title": "Hello, procrun",
        "body": "One Procfile, one command: the web server and the worker start "
        "together and their output arrives line by line, each under its own name.",
    },
    {
        "slug": "twelve-factor",
        "title": "Twelve-factor processes",
        "body": "Configuration comes from the environment: this blog's title is "
        "BLOG_TITLE in .env, and gunicorn reads PORT and WEB_CONCURRENCY.",
    },
    {
        "slug": "stopping-gracefully",
        "title": "Stopping gracefully",
        "body": "Ctrl-C sends SIGTERM to every process group; gunicorn finishes its "
        "requests, its workers exit, and procrun exits 130.",
    },
]


def find(slug):
    return next((p for p in POSTS if p["slug"] == slug), None)
