"""A tiny blog: run it with `procrun start` (see the Procfile)."""

import os

from flask import Flask, abort, jsonify, render_template_string

import posts

app = Flask(__name__)
TITLE = os.environ.get("BLOG_TITLE", "A blog")

INDEX = """<!doctype html>
<title>{{ title }}</title>
<h1>{{ title }}</h1>
<ul>
{% for post in posts %}  <li><a href="/posts/{{ post.slug }}">{{ post.title }}</a></li>
{% endfor %}</ul>
"""

POST = """<!doctype html>
<title>{{ post.title }} - {{ title }}</title>
<p><a href="/">{{ title }}</a></p>
<h1>{{ post.title }}</h1>
<p>{{ post.body }}</p>
"""


@app.route("/")
def index():
    return render_template_string(INDEX, title=TITLE, posts=posts.POSTS)


@app.route("/posts/<slug>")
def post(slug):
    found = posts.find(slug)
    if found is None:
        abort(404)
    return render_template_string(POST, title=TITLE, post=found)


@app.route("/api/posts")
def api_posts():
    return jsonify(title=TITLE, posts=posts.POSTS)
