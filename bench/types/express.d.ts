// The part of Express 5's API the bench server uses (@types/express is not a devDependency).
declare module "express" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  interface Request extends IncomingMessage {
    params: Record<string, string | undefined>;
    body: unknown;
    get(name: string): string | undefined;
  }
  interface Response extends ServerResponse {
    send(body: string | Buffer): this;
    json(body: unknown): this;
    sendStatus(status: number): this;
  }
  type NextFunction = (error?: unknown) => void;
  type Handler = (req: Request, res: Response, next: NextFunction) => void;
  interface Express {
    (req: IncomingMessage, res: ServerResponse): void;
    get(path: string | RegExp, ...handlers: Handler[]): this;
    post(path: string | RegExp, ...handlers: Handler[]): this;
    use(path: string, ...handlers: Handler[]): this;
  }
  interface ExpressFactory {
    (): Express;
    urlencoded(options: { extended: boolean }): Handler;
    static(root: string): Handler;
  }
  const express: ExpressFactory;
  export default express;
}
