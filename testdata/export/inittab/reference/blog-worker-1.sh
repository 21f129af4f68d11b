#!/bin/sh
# blog worker.1
mkdir -p /var/log/blog || exit 111
exec >> /var/log/blog/worker-1.log 2>&1
cd /srv/blog || exit 111
export DATABASE_URL=postgres://blog@localhost/blog
export SECRET_KEY=s3cr3t
export GREETING='hello, world'
export PORT=5100
export PS=worker.1
exec /bin/su -s /bin/sh -c 'exec /bin/sh -c '\''python -m blog.worker --queue '\''\'\'''\''default high'\''\'\'''\'' && echo "done: 100%"'\''' blog
