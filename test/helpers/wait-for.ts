/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

const unopened = new Set<Gate>();

/** A promise with its resolve exposed: lets a test hold a handler until it says so. */
export function gate(): Gate {
  let resolve!: () => void;
  const opened = new Promise<void>((done) => {
    resolve = done;
  });
  const created: Gate = {
    opened,
    open: () => {
      unopened.delete(created);
      resolve();
    },
  };
  unopened.add(created);
  return created;
}

/** Opens every gate still shut: call it in `afterEach` before stopping, so a failed test frees its handlers. */
export function openAllGates(): void {
  for (const held of [...unopened]) held.open();
}
