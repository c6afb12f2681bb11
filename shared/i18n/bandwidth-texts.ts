/** Console texts of the bandwidth limit (merged into messages.ts). */
export const bandwidthTextsPtBR = {
  'bandwidth.limited': 'limitado a {rate}',
};

export const bandwidthTextsEn: Record<keyof typeof bandwidthTextsPtBR, string> = {
  'bandwidth.limited': 'limited to {rate}',
};
