require('./app').listen(Number(process.env.PORT) || 3000);
