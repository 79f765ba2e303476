// Imported by standby.mjs before any user code: the first .ts import initialises Node's type
// stripper, which otherwise costs the restart tens of milliseconds. It contains nothing else.
export const warmedUp = true;
