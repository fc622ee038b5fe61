const x = eval(userInput);
const y = evaluate(z); // evaluate is fine
