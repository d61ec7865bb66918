module.exports.greeting = (who) => `hello ${who}`;
