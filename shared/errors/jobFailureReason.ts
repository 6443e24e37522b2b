/**
 * Why a job can never run, as the job provider knows it (an ARM error code at create, a container event at poll).
 * It becomes the dead-letter reason as is: nothing downstream reads message text to decide it.
 */
export type JobFailureReason = 'ImagePullFailed' | 'PermanentError' | 'InvalidEvent';
