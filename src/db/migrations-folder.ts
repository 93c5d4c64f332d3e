import { fileURLToPath } from 'node:url';

/** drizzle/ at the package root (found the same way from src/db and dist/db). */
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
