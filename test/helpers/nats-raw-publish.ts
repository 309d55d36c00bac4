import net from 'node:net';

/**
 * Publishes one message with a header block as given, over a bare protocol connection: the server
 * relays header blocks it does not parse, so this is how a malformed one (a name with a space) reaches
 * a client. Resolves once the server has answered the PING after it.
 */
export function publishRawHeaders(port: number, subject: string, headerBlock: string, payload = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.includes('-ERR')) {
        socket.destroy();
        reject(new Error(`nats-server refused the publication: ${received.trim()}`));
      } else if (received.includes('PONG')) {
        socket.end();
        resolve();
      }
    });
    const headerBytes = Buffer.byteLength(headerBlock);
    const totalBytes = headerBytes + Buffer.byteLength(payload);
    socket.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n');
    socket.write(`HPUB ${subject} ${headerBytes} ${totalBytes}\r\n${headerBlock}${payload}\r\n`);
    socket.write('PING\r\n');
  });
}
