// The api bridge keeps the routing table of the apps' HTTP endpoints; ../api-server.ts serves it.
// Rocket.Chat (apps/meteor/app/apps/server/bridges/api.ts) mounts an express router per app under
// /api/apps/public/<appId>/ and /api/apps/private/<appId>/<hash>/, one route per endpoint path, where a
// `:name` segment is a path parameter.

import type { IApi } from '@rocket.chat/apps-engine/definition/api';
import type { AppApi } from '@rocket.chat/apps-engine/server/managers/AppApi';

import type { Engine } from '../engine';

export interface ApiRoute {
  appId: string;
  /** The endpoint's path as the app declared it; AppApiManager.executeApi finds the endpoint by it. */
  path: string;
  segments: string[];
  authRequired: boolean;
  api: IApi;
}

export class ApiRoutes {
  private readonly routes: ApiRoute[] = [];

  add(appId: string, api: IApi, path: string, authRequired: boolean): void {
    if (typeof path !== 'string') {
      throw new Error('Invalid Api parameter provided, it must be a valid IApi object.');
    }
    this.routes.push({ appId, path, segments: splitPath(path), authRequired, api });
  }

  removeApp(appId: string): void {
    const kept = this.routes.filter((route) => route.appId !== appId);
    this.routes.splice(0, this.routes.length, ...kept);
  }

  /** The route of `appId` matching the path after the app prefix, with its `:name` parameters. */
  match(appId: string, path: string): { route: ApiRoute; params: Record<string, string> } | undefined {
    const wanted = splitPath(path);
    for (const route of this.routes) {
      if (route.appId !== appId || route.segments.length !== wanted.length) {
        continue;
      }
      const params: Record<string, string> = {};
      const matches = route.segments.every((segment, index) => {
        if (segment.startsWith(':')) {
          params[segment.slice(1)] = wanted[index];
          return true;
        }
        return segment === wanted[index];
      });
      if (matches) {
        return { route, params };
      }
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path
    .trim()
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

export function createApiBridge(engine: Engine, routes: ApiRoutes) {
  class HarnessApiBridge extends engine.bridges.ApiBridge {
    protected async registerApi({ api, endpoint }: AppApi, appId: string): Promise<void> {
      routes.add(appId, api, endpoint.path, Boolean(endpoint.authRequired));
    }

    protected async unregisterApis(appId: string): Promise<void> {
      routes.removeApp(appId);
    }
  }

  return new HarnessApiBridge();
}
