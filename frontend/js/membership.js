// The signed-in user's library card (GET /members/me), asked once per user and page load: the book
// page uses it to offer "Place hold", #/me to list loans. Accounts without a card get null.

import { getMyMember } from "./api.js";
import { currentUser, onSessionChange } from "./session.js";

let cached = null; // { userId, promise } for the signed-in user

onSessionChange(() => {
  cached = null; // logged in, out or as someone else: ask again
});

/** Resolves to the signed-in user's Member, or null (nobody signed in, or no card); rejects on other errors. */
export function myCard() {
  const user = currentUser();
  if (!user) return Promise.resolve(null);
  if (cached?.userId !== user.id) {
    const promise = getMyMember().catch((error) => {
      if (error?.status === 404) return null;
      if (cached?.promise === promise) cached = null; // try again next time
      throw error;
    });
    cached = { userId: user.id, promise };
  }
  return cached.promise;
}
