export interface Greeter {
    (name: string): string;
}

export const greeting: Greeter = (name) => `hello ${name}`;

export function shout(text: string): string {
    return `${text.toUpperCase()}!`;
}
