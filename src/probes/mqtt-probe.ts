/** Test probe, never flashed: the MQTT link alone, for running on the interpreter's Linux build against a real broker. */
import { mqttLink } from "../links/mqtt";

(global as any).fgMqtt = function (host: string, port: number, id: string, onDown: (port: number, data: number[]) => void) {
  return mqttLink({ host: host, port: port, clientId: id, keepalive: 30, clean: true, prefix: "feldgate/" + id }, onDown, {
    up() {
      return true;
    },
    reconnects() {
      return 0;
    },
  });
};
