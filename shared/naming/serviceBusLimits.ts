/* Service Bus limits the dispatcher's copies must respect. Pure constants: the orchestrator replays them. */

/** Service Bus caps MessageId at 128 characters. */
export const MAX_MESSAGE_ID_LENGTH = 128;
/** Service Bus caps DeadLetterReason at 256 characters. */
export const MAX_DEAD_LETTER_REASON_LENGTH = 256;
/** Service Bus caps DeadLetterErrorDescription at 4096 characters (and the dispatcher's copy property likewise). */
export const MAX_DEAD_LETTER_DESCRIPTION_LENGTH = 4096;
