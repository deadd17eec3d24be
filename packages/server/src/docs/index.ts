export { openApi } from "./openApi.js";
export { operationPages, pageName } from "./operationPages.js";
