import { classifyError, tagErrorMessage } from '../../../shared/errors/classifyError';
import {
  CapacityProviderError,
  ConfigError,
  InvalidEventError,
  PermanentProviderError,
  TransientProviderError,
} from '../../../shared/errors/dispatchErrors';

describe('classifyError', () => {
  it('classifies the typed errors, keeping code and Retry-After', () => {
    expect(classifyError(new CapacityProviderError('full', 'SkuNotAvailable', 5000))).toEqual({
      class: 'capacity',
      message: 'full',
      code: 'SkuNotAvailable',
      retryAfterMs: 5000,
    });
    expect(classifyError(new TransientProviderError('busy', 'TooManyRequests'))).toEqual({
      class: 'transient',
      message: 'busy',
      code: 'TooManyRequests',
    });
    expect(classifyError(new PermanentProviderError('no image'))).toEqual({
      class: 'permanent',
      message: 'no image',
      reason: 'PermanentError',
    });
    expect(
      classifyError(
        new PermanentProviderError('no image', 'InaccessibleImage', { reason: 'ImagePullFailed' }),
      ),
    ).toEqual({
      class: 'permanent',
      message: 'no image',
      code: 'InaccessibleImage',
      reason: 'ImagePullFailed',
    });
    expect(classifyError(new InvalidEventError('bad', 'id')).class).toBe('invalid-event');
    expect(classifyError(new ConfigError('bad setting')).class).toBe('config');
  });

  it('keeps the class across the activity boundary through the [ErrorName] tag, wherever the host puts it', () => {
    const tagged = tagErrorMessage(new PermanentProviderError('image cannot be pulled'));
    expect(tagged).toBe('[PermanentProviderError] image cannot be pulled');
    expect(classifyError(new Error(tagged))).toEqual({
      class: 'permanent',
      message: 'image cannot be pulled',
    });
    expect(classifyError(new Error(`Activity function 'x' failed: ${tagged}\n{"stack":"..."}`)).class).toBe(
      'permanent',
    );
    expect(classifyError(`[CapacityProviderError] region full`).class).toBe('capacity');
  });

  it("reads durable-functions' TaskFailedError failureDetails", () => {
    const err = Object.assign(new Error('TransientProviderError: throttled'), {
      failureDetails: { errorType: 'TransientProviderError', errorMessage: 'throttled' },
    });
    expect(classifyError(err)).toEqual({ class: 'transient', message: 'throttled' });
  });

  it('treats anything unknown as transient (bounded by attempts anyway)', () => {
    expect(classifyError(new Error('socket hang up'))).toEqual({
      class: 'transient',
      message: 'socket hang up',
    });
    expect(classifyError({ weird: true })).toEqual({ class: 'transient', message: '{"weird":true}' });
    expect(tagErrorMessage(new Error('plain'))).toBe('plain');
  });
});
