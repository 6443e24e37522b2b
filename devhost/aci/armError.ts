/** An error answered in ARM's shape: `{ "error": { "code", "message", "target"?, "details"? } }`. */
export class ArmError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly target?: string,
  ) {
    super(message);
    this.name = 'ArmError';
  }

  toBody(): { error: { code: string; message: string; target?: string } } {
    return {
      error: { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) },
    };
  }
}

export function resourceNotFound(resourceGroup: string, type: string, name: string): ArmError {
  // ARM's own wording for a missing resource.
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function invalidRequest(message: string, target?: string): ArmError {
  return new ArmError(400, 'InvalidRequestContent', message, {}, target);
}
