// A direct Lambda resolver: AppSync's event carries the field's arguments.
export const handler = async (event) => event.arguments.text.trim().split(/\s+/).filter(Boolean).length;
