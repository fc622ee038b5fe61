const evaluation = 1;
// no dynamic code here
