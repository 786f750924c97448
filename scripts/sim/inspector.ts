/** One inspector session of this process, for the simulator's measurements (alloc.ts, scope.ts). */
import inspector from "node:inspector";

let session: inspector.Session | null = null;

export function post<T>(method: string, params?: object): Promise<T> {
  if (!session) {
    session = new inspector.Session();
    session.connect();
  }
  return new Promise((resolve, reject) => session!.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r as T))));
}
