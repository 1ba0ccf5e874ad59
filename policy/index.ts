// The fedora-base prod policy pack: `pulumi preview --policy-pack policy` (see docs/prod.md).
import { PolicyPack } from "@pulumi/policy";

import { POLICIES } from "./rules";

new PolicyPack("fedora-base-prod", { policies: POLICIES });
