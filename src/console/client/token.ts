/**
 * The access token, when the server has one (CONDUCTOR_TOKEN): asked for once in a dialog and
 * kept in sessionStorage, so it lasts for the tab and no longer; asked again when the server
 * rejects it.
 */
import { byId } from "./dom.js"

const KEY = "conductor.token"

export const storedToken = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined

export const forgetToken = (): void => sessionStorage.removeItem(KEY)

/** Ask for the token (saying why); resolves with it once entered, and keeps it for the tab. */
export const askToken = (why: string): Promise<string> => {
  const dialog = byId<HTMLDialogElement>("token-dialog")
  const form = byId<HTMLFormElement>("token-form")
  const input = byId<HTMLInputElement>("token-input")
  byId("token-why").textContent = why
  input.value = ""
  if (!dialog.open) dialog.showModal()
  input.focus()
  return new Promise((resolve) => {
    const submit = (e: Event) => {
      e.preventDefault()
      const token = input.value.trim()
      if (token === "") {
        input.focus()
        return
      }
      form.removeEventListener("submit", submit)
      sessionStorage.setItem(KEY, token)
      dialog.close()
      resolve(token)
    }
    form.addEventListener("submit", submit)
  })
}
