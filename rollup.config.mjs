// One Espruino bundle per board in dist/, plus the loader saved as .bootcde.
// The configuration lives in scripts/build/config.ts (shared with the tests);
// `npm run build` runs rollup with tsx so that this file can import it.
import { allConfigs } from "./scripts/build/config.ts";

export default allConfigs();
