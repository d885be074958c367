import { UploadBudget } from '@sftpgo/vfs';
import { expect, it } from 'vitest';

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

it('grants reservations first come, first served, as memory is given back', async () => {
  const budget = new UploadBudget(100);
  const releaseA = await budget.reserve(60);
  const b = budget.reserve(60);
  const c = budget.reserve(10);
  // c would fit, but b came first: no upload starves behind smaller ones
  expect(await settled(b)).toBe(false);
  expect(await settled(c)).toBe(false);
  releaseA();
  releaseA();
  expect(await settled(b)).toBe(true);
  expect(await settled(c)).toBe(true);
  expect(budget.available).toBe(30);
});

it('lets an upload larger than the whole budget run, alone', async () => {
  const budget = new UploadBudget(10);
  const release = await budget.reserve(1000);
  expect(budget.available).toBe(0);
  release();
  expect(budget.available).toBe(10);
});
