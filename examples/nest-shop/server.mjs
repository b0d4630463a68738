// Start: node --import @vigil/agent/register server.mjs   (PORT=0 picks a free port)
// NEST_ADAPTER=fastify runs the same app on @nestjs/platform-fastify instead of Express.
import { NestFactory } from '@nestjs/core';
import { ShopModule } from './app.mjs';

const adapterName = process.env.NEST_ADAPTER === 'fastify' ? 'fastify' : 'express';
let adapter;
if (adapterName === 'fastify') {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  adapter = new FastifyAdapter();
}
const app = adapter === undefined ? await NestFactory.create(ShopModule, { logger: ['error', 'warn'] }) : await NestFactory.create(ShopModule, adapter, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
const { port } = app.getHttpServer().address();
console.log(`nest-shop (${adapterName}) listening on http://127.0.0.1:${port}`);
