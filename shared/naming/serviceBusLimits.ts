/* Service Bus limits the dispatcher's copies must respect. Pure constants: the orchestrator replays them. */

/** Service Bus caps MessageId at 128 characters. */
export const MAX_MESSAGE_ID_LENGTH = 128;
/** Service Bus caps DeadLetterReason at 256 characters. */
export const MAX_DEAD_LETTER_REASON_LENGTH = 256;
/** Service Bus caps DeadLetterErrorDescription at 4096 characters (and the dispatcher's copy property likewise). */
export const MAX_DEAD_LETTER_DESCRIPTION_LENGTH = 4096;
/**
 * Service Bus caps a message's header (all properties) at 64 KB in the Standard tier. A dead-letter copy keeps
 * at most this much of the rejected message's own properties, so a hostile 60,000-character property can never
 * make the copy unsendable (which would loop the original until MaxDeliveryCount).
 */
export const MAX_COPIED_PROPERTIES_BYTES = 8 * 1024;
/** At most this many of the rejected message's properties are kept on its dead-letter copy. */
export const MAX_COPIED_PROPERTIES = 32;
/** A kept string property is cut to this many characters. */
export const MAX_COPIED_PROPERTY_LENGTH = 512;
