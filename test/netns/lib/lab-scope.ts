/**
 * One lab per test: `const newLab = labsPerTest()` at the top of a describe block gives a factory;
 * every lab it made is destroyed after each test (pass or fail), and the test fails if a namespace
 * of that lab survived.
 */
import { afterEach, expect } from 'vitest';
import { Lab, listNamespaces } from './netns.js';

export function labsPerTest(): (id: string) => Lab {
  const labs: Lab[] = [];
  afterEach(async () => {
    for (const lab of labs.splice(0)) {
      await lab.destroy();
      expect(listNamespaces(lab.prefix), `namespaces of lab ${lab.prefix} left behind`).toEqual([]);
    }
  });
  return (id: string): Lab => {
    const lab = new Lab({ id });
    labs.push(lab);
    return lab;
  };
}
