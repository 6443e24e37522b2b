import { RestError } from '@azure/core-rest-pipeline';
import { isNotFound } from '../../../shared/errors/isNotFound';

describe('isNotFound', () => {
  test('an SDK RestError answers by its status code, whatever its message says', () => {
    expect(isNotFound(new RestError('gone', { statusCode: 404 }))).toBe(true);
    expect(isNotFound(new RestError('proxy said 404 earlier', { statusCode: 500 }))).toBe(false);
  });

  test("the durable client's missing-instance error (status only in its message)", () => {
    expect(isNotFound(new Error('Webhook returned unexpected status code 404'))).toBe(true);
    expect(isNotFound(new Error('instance 4040 failed'))).toBe(false);
    // raiseEvent to a missing instance: durable-functions' own wording, no status at all.
    expect(isNotFound(new Error("No instance with ID 'hello-0123456789abcdef-a1' found."))).toBe(true);
    expect(isNotFound(new Error('No instance with ID given'))).toBe(false);
  });

  test('anything else is not a 404', () => {
    expect(isNotFound(undefined)).toBe(false);
    expect(isNotFound('404')).toBe(false);
  });
});
