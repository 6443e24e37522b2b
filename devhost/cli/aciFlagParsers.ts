import { InvalidArgumentError } from 'commander';
import { parseAciQuota, type AciQuota } from '../aci/aciQuota';
import { parseFaultRates, type FaultRates } from '../aci/faultRates';

/**
 * The argument parsers of `emulate aci --quota/--faults` and `dev --aci-quota/--aci-faults`: the same syntax
 * and the same parser for both commands, errors as commander's one-line "argument ... is invalid. <why>".
 */
function asArgument<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

export const aciQuotaArgument: (text: string) => AciQuota = asArgument(parseAciQuota);
export const faultRatesArgument: (text: string) => FaultRates = asArgument(parseFaultRates);

export const ACI_QUOTA_HELP =
  "ACI limits per subscription and region: containerGroups=N,cores=N,createsPer5Min=N,createsPerHour=N (any subset; default ACI's 100,100,100,300)";
export const ACI_FAULTS_HELP =
  'transient ARM faults at a rate: create=0.3,get=0.3,delete=0.1[,kinds=429|500|503|reset|lost-response][,seed=N]';
