// A deliberately vulnerable shop on NestJS, in plain JavaScript: the
// decorators TypeScript would apply are applied by hand with Reflect.decorate.
// The "vulnerable" handlers build SQL from request input; the "safe" one
// binds it. Never deploy it.
import 'reflect-metadata';
import { Body, Controller, Get, Headers, HttpCode, Module, NotFoundException, Param, Post, Query, Req, UnauthorizedException } from '@nestjs/common';
import shopDb from './db.js';

const { openShopDb, parseCookies } = shopDb;
const db = openShopDb();

class ShopController {
  health() {
    return { ok: true };
  }

  // vulnerable: query string
  products(q) {
    return db.prepare(`SELECT id, name, price FROM products WHERE name LIKE '%${q ?? ''}%'`).all();
  }

  // vulnerable: route param (numeric slot)
  product(id) {
    const row = db.prepare(`SELECT id, name, price FROM products WHERE id = ${id}`).get();
    if (!row) throw new NotFoundException();
    return row;
  }

  // vulnerable: JSON body
  login(body) {
    const { username, password } = body ?? {};
    const user = db.prepare(`SELECT id, username, secret FROM users WHERE username = '${username}' AND password = '${password}'`).get();
    if (!user) throw new UnauthorizedException('invalid credentials');
    return { id: user.id, username: user.username, secret: user.secret };
  }

  // vulnerable: header
  me(user) {
    return db.prepare(`SELECT id, username FROM users WHERE username = '${user}'`).get() ?? {};
  }

  // vulnerable: cookie
  account(req) {
    const { user } = parseCookies(req.headers.cookie);
    return db.prepare(`SELECT id, username FROM users WHERE username = '${user}'`).all();
  }

  // safe: parameterised
  safeProducts(q) {
    return db.prepare('SELECT id, name, price FROM products WHERE name LIKE ?').all(`%${q ?? ''}%`);
  }
}

/** `@Query('q') q` on argument `index`, as TypeScript's __param emits it. */
const arg = (index, decorator) => (target, key) => decorator(target, key, index);
const route = (method, decorators) => {
  const proto = ShopController.prototype;
  const descriptor = Reflect.decorate(decorators, proto, method, Object.getOwnPropertyDescriptor(proto, method));
  Object.defineProperty(proto, method, descriptor);
};
route('health', [Get('health')]);
route('products', [Get('products'), arg(0, Query('q'))]);
route('product', [Get('products/:id'), arg(0, Param('id'))]);
route('login', [Post('login'), HttpCode(200), arg(0, Body())]);
route('me', [Get('me'), arg(0, Headers('x-user'))]);
route('account', [Get('account'), arg(0, Req())]);
route('safeProducts', [Get('safe/products'), arg(0, Query('q'))]);
Reflect.decorate([Controller()], ShopController);

export class ShopModule {}
Reflect.decorate([Module({ controllers: [ShopController] })], ShopModule);
