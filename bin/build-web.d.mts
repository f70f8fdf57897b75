/** True when web/dist is missing or older than a source of the UI. */
export function webIsStale(): boolean;
/** Builds web/ into web/dist with Vite; false when Vite is not installed. */
export function buildWeb(): Promise<boolean>;
