// AoE addresses (AoEr11 §2): the shelf (major) and slot (minor) an export may have, and the eSHELF.SLOT names built from them.

/** The largest shelf an export can have: 0xFFFF is the broadcast shelf (AoEr11 §2). */
export const SHELF_MAX = 0xfffe;
/** The largest slot an export can have: 0xFF is the broadcast slot (AoEr11 §2). */
export const SLOT_MAX = 0xfe;

/** True for a shelf an export can have (an integer in 0..65534). */
export function isExportShelf(shelf: number): boolean {
  return Number.isInteger(shelf) && shelf >= 0 && shelf <= SHELF_MAX;
}

/** True for a slot an export can have (an integer in 0..254). */
export function isExportSlot(slot: number): boolean {
  return Number.isInteger(slot) && slot >= 0 && slot <= SLOT_MAX;
}

/** 'e1.2', the name aoetools and the Linux driver give shelf 1, slot 2. */
export function deviceName(shelf: number, slot: number): string {
  return `e${shelf}.${slot}`;
}

/** Shelf and slot of 'e1.2' (or 'aoe:e1.2'), or undefined when the text is not such a name of an export address. */
export function parseDeviceAddress(text: string): { shelf: number; slot: number } | undefined {
  const match = /^(?:aoe:)?e(\d{1,5})\.(\d{1,3})$/.exec(text.trim());
  if (!match) return undefined;
  const shelf = Number(match[1]);
  const slot = Number(match[2]);
  return isExportShelf(shelf) && isExportSlot(slot) ? { shelf, slot } : undefined;
}
