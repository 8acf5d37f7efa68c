export { type Database, dbPath, migrateAll, type OpenOptions, openDatabase } from './db.js';
export { DB_NAMES, type DbName, loadMigrations, MIGRATIONS_DIR, type Migration, migrate } from './migrate.js';
