import type { ChildProcess } from 'node:child_process';

/** How a child process ended and what it printed. */
export interface ProcessOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects a spawned child's stdout and stderr (spawn it with stdio pipes) until it closes. */
export function collectOutput(child: ChildProcess): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
