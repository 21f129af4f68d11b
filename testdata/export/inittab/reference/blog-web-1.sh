#!/bin/sh
# blog web.1
mkdir -p /var/log/blog || exit 111
exec >> /var/log/blog/web-1.log 2>&1
cd /srv/blog || exit 111
export DATABASE_URL=postgres://blog@localhost/blog
export SECRET_KEY=s3cr3t
export GREETING='hello, world'
export PORT=5000
export PS=web.1
exec /bin/su -s /bin/sh -c 'exec /bin/sh -c '\''gunicorn blog:app --bind 0.0.0.0:$PORT --workers 2'\''' blog
