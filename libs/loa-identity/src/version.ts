// Reported by /health, so a reload can be proven by the code that is served, not by a pid alone.
export const VERSION = '0.1.0';
