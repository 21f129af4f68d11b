const port = process.env.PORT || 3000;
require('http').createServer((q, r) => r.end('ok')).listen(port);
