export async function seedDemo(..._a: unknown[]) {} export async function seedDemoIfEmpty(..._a: unknown[]) {}
