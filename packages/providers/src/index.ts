// SMS providers (the SmsProvider interface, the simulator, http and smpp
// adapters) arrive with the batch pipeline; see DESIGN.md.
export {};
