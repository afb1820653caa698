import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'golden', include: ['test/golden/**/*.test.ts'], testTimeout: 120_000 } },
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
