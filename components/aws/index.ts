// The AWS components of the prod stack, for programs that compose their own.
export * from "./access";
export * from "./builder";
export * from "./parameters";
export * from "./policies";
export * from "./registry";
export * from "./scripts";
export * from "./tls";
