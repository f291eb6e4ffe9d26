/**
 * Listening on a port for `npm start`, with the failures a newcomer meets (a port in use, a
 * privileged port) said in a sentence that names the option to change: `--port` for the chat page,
 * `--provider-port` for the demo authorization server.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function listenOn(server: Server, port: number, host: string, option: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`Port ${port} on ${host} is in use: stop what uses it, or choose another with ${option}.`));
      else if (error.code === 'EACCES') reject(new Error(`Port ${port} on ${host} needs privileges this user does not have: choose another with ${option}.`));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}
