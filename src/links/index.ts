/**
 * The links this board and its identity allow, in the site's order of
 * preference (site.link: "lorawan", "wifi", or "both" with site.prefer).
 * A link that cannot be made is logged with its cause, counted for the
 * health report (key 23) and left out: the other link, and the readings, go on.
 */
import hw, { BOARD_ID, MODEM, HAS_WIFI } from "virtual:board";
import type { Site } from "../config/site";
import { readIdentity, tlsFiles } from "../config/identity";
import { log, why, startFailed, ERROR } from "../runtime/log";
import { setFairUse } from "./dutycycle";
import { rak3172 } from "./rak3172";
import { wioe5 } from "./wioe5";
import { mqttLink } from "./mqtt";
import { httpLink } from "./http";
import { wifiStart, wifi } from "./wifi";
import type { Link, DownlinkHandler } from "./link";

/** The Things Network's fair use: 30 s of uplink airtime a day. */
const FAIR_USE_MS = 30000;

export function startLinks(site: Site, onDownlink: DownlinkHandler): Link[] {
  const id = readIdentity();
  const use = site.link || "both";
  const links: Link[] = [];
  if (site.fairUse === true) setFairUse(FAIR_USE_MS);
  if (MODEM && hw.modem && use !== "wifi") {
    if (!id.devEui || !id.appKey) log(ERROR, "No LoRaWAN keys: provision the board to join the network.");
    else {
      const keys = { devEui: id.devEui, joinEui: id.joinEui || "0000000000000000", appKey: id.appKey };
      // A modem that cannot start (its UART or a pin missing on this build) is reported; the other link still starts.
      try {
        links.push(MODEM === "rak3172" ? rak3172(hw.modem, keys, onDownlink) : wioe5(hw.modem, keys, onDownlink));
      } catch (e) {
        startFailed(1, "LoRaWAN not started: " + why(e));
      }
    }
  }
  if (HAS_WIFI && id.wifi && (id.mqtt || id.http) && use !== "lorawan")
    try {
      wifiStart(id.wifi.ssid, id.wifi.pass || "");
      const m = id.mqtt;
      const h = id.http;
      const link = m
        ? mqttLink({ host: m.host, port: m.port || (m.tls ? 8883 : 1883), clientId: m.clientId || "feldgate-" + (id.devEui || BOARD_ID), user: m.user, pass: m.pass, keepalive: m.keepalive || 60, clean: m.clean === true, prefix: "feldgate/" + (m.clientId || id.devEui || BOARD_ID), tls: m.tls ? tlsFiles() : undefined }, onDownlink, wifi)
        : httpLink({ host: h.host, port: h.port || (h.tls ? 443 : 80), path: h.path || "/", tls: h.tls ? tlsFiles() : undefined }, wifi);
      if (site.prefer === "wifi") links.unshift(link);
      else links.push(link);
    } catch (e) {
      startFailed(2, "Wi-Fi not started: " + why(e));
    }
  return links;
}
