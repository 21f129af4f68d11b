"""A background worker: every DIGEST_INTERVAL seconds it prints a line about the blog."""

import itertools
import os
import signal
import sys
import time

import posts


def stop(signum, _frame):
    print(f"worker stopping on {signal.Signals(signum).name}", flush=True)
    sys.exit(0)


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    interval = float(os.environ.get("DIGEST_INTERVAL", "5"))
    title = os.environ.get("BLOG_TITLE", "A blog")
    print(f"worker for '{title}': a digest every {interval:g}s", flush=True)
    for n, post in enumerate(itertools.cycle(posts.POSTS), start=1):
        time.sleep(interval)
        print(f"digest #{n}: {len(posts.POSTS)} posts, featuring '{post['title']}'", flush=True)


if __name__ == "__main__":
    main()
