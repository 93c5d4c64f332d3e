// The smallest useful runbook: two diagnostics that fan out, one that joins them, and a note.
// With `npm start` running, `npx firebreak run hello --follow` runs it (`--local` runs it without a server).
import { runbook, z } from 'firebreak';

export const hello = runbook({
  id: 'hello',
  title: 'Hello, firebreak',
  input: z.object({ name: z.string().default('on-call') }),
})
  .diagnostic('greet', async ({ input }) => ({ greeting: `hello, ${input.name}` }))
  .diagnostic('clock', { needs: [] }, async ({ now }) => ({ at: now().toISOString() }))
  .diagnostic('summary', { needs: ['greet', 'clock'] }, async ({ steps, attach }) => {
    attach({ kind: 'text', title: 'Greeting', content: `${steps.greet.greeting} at ${steps.clock.at}` });
    return { text: `${steps.greet.greeting} (${steps.clock.at})` };
  });
