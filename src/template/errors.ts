// Errors of template loading: a name with no template behind it, a name that would leave the loader's root.

import { TyphoonError } from "../util/errors.js";

function referencedSuffix(referencedAt: string | undefined): string {
  return referencedAt === undefined ? "" : ` (referenced at ${referencedAt})`;
}

/** No template has the requested name (no such file under the root, no such key in the dictionary). */
export class TemplateNotFoundError extends TyphoonError {
  /** The resolved template name. */
  readonly templateName: string;
  /** Where the loader looked: the root directory, or "the DictLoader's templates". */
  readonly searched: string;
  /** The `{% extends %}` / `{% include %}` that asked for it, as `file:line`, if any. */
  readonly referencedAt: string | undefined;

  constructor(templateName: string, searched: string, options?: ErrorOptions & { referencedAt?: string }) {
    super(
      "TYPHOON_ERR_TEMPLATE_NOT_FOUND",
      `Template "${templateName}" not found in ${searched}${referencedSuffix(options?.referencedAt)}`,
      options,
    );
    this.templateName = templateName;
    this.searched = searched;
    this.referencedAt = options?.referencedAt;
  }
}

/** A template name that would leave the loader's root directory (`..`, an absolute path elsewhere, a NUL byte). */
export class TemplatePathError extends TyphoonError {
  /** The name as requested. */
  readonly templateName: string;
  /** The loader's root directory. */
  readonly root: string;
  /** The `{% extends %}` / `{% include %}` that asked for it, as `file:line`, if any. */
  readonly referencedAt: string | undefined;

  constructor(templateName: string, root: string, options?: { referencedAt?: string }) {
    super(
      "TYPHOON_ERR_TEMPLATE_PATH",
      `Template name "${templateName}" points outside the template root ${root}: ` +
        `template names are paths relative to the root and cannot leave it${referencedSuffix(options?.referencedAt)}`,
    );
    this.templateName = templateName;
    this.root = root;
    this.referencedAt = options?.referencedAt;
  }
}
