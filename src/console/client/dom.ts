/**
 * A few DOM helpers: build an element with attributes, styles (through the CSSOM: the page's
 * Content-Security-Policy refuses style attributes) and children, set text only when it
 * changed (writes that change nothing still cost style work when hundreds of cells update per
 * frame), and find the page's fixed elements by id.
 */

type Child = Node | string | undefined | false

export interface Props {
  readonly class?: string
  readonly text?: string
  readonly attrs?: Readonly<Record<string, string>>
  /** Set through the CSSOM (the page's CSP refuses style attributes). */
  readonly style?: Readonly<Record<string, string>>
  readonly on?: Readonly<Partial<Record<keyof HTMLElementEventMap, (e: Event) => void>>>
}

export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  if (props.class !== undefined) node.className = props.class
  if (props.text !== undefined) node.textContent = props.text
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v)
  for (const [k, v] of Object.entries(props.style ?? {})) node.style.setProperty(k, v)
  for (const [k, fn] of Object.entries(props.on ?? {})) if (fn !== undefined) node.addEventListener(k, fn)
  for (const c of children) if (c !== undefined && c !== false) node.append(c)
  return node
}

/** Set `node`'s text when it differs. */
export const setText = (node: Node, text: string): void => {
  if (node.textContent !== text) node.textContent = text
}

/** Set an attribute when it differs. */
export const setAttr = (node: Element, name: string, value: string): void => {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value)
}

/** One of the page's elements (page.ts), or a clear error naming the missing id. */
export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id)
  if (node === null) throw new Error(`console: the page has no #${id}`)
  return node as T
}
