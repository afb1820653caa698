/**
 * The error of the TCP socket-option layer (tcp-options.ts, tcp-native.ts). `code` is the errno
 * name for a failed system call (`ECONNREFUSED`, `ETIMEDOUT`, `EHOSTUNREACH`, `EADDRINUSE`...), so
 * it reads like the errors node:net gives; our own conditions use `ERR_*` codes.
 */
import { getSystemErrorName } from 'node:util';

export type TcpOptionsErrorCode =
  /** An argument is out of range or of the wrong kind (checked before any system call). */
  | 'ERR_INVALID_ARG_VALUE'
  /** native/build/Release/wren_tcp.node is missing or does not load (`npm run build:native`). */
  | 'ERR_WREN_TCP_ADDON'
  /** The net.Server is not listening, or the net.Socket is not connected. */
  | 'ERR_WREN_TCP_NOT_CONNECTED'
  /** No descriptor of this process matches the server's / socket's addresses. */
  | 'ERR_WREN_TCP_FD_NOT_FOUND'
  /** An errno name from a failed system call. */
  | (string & {});

export class TcpOptionsError extends Error {
  override readonly name = 'TcpOptionsError';
  readonly code: TcpOptionsErrorCode;
  /** Positive errno for a failed system call. */
  readonly errno: number | undefined;
  /** The call that failed, e.g. `connect`, `bind`, `setsockopt(TCP_MD5SIG)`. */
  readonly syscall: string | undefined;
  /** The remote (connect) or local (listen) address and port involved, when there is one. */
  readonly address: string | undefined;
  readonly port: number | undefined;

  constructor(
    code: TcpOptionsErrorCode,
    message: string,
    details: { errno?: number; syscall?: string; address?: string; port?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.address = details.address;
    this.port = details.port;
  }
}

/** A failed system call as a TcpOptionsError whose code is the errno name. `errno` is positive. */
export function errnoError(errno: number, syscall: string, where: { address?: string; port?: number } = {}): TcpOptionsError {
  const name = errnoName(errno);
  const at = where.address === undefined ? '' : ` ${where.address}${where.port === undefined ? '' : ` port ${where.port}`}`;
  return new TcpOptionsError(name, `${syscall} ${name}${at}`, { errno, syscall, ...where });
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

export const invalidArg = (what: string): TcpOptionsError => new TcpOptionsError('ERR_INVALID_ARG_VALUE', what);
