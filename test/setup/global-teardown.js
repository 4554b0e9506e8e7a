export default async function globalTeardown() {
  await globalThis.__conveyorRedis?.stop();
}
