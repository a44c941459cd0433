/** A small owner of disposables (vscode-dvc's `Disposable.fn()` idea, as a class). */
export interface DisposableLike {
  dispose(): unknown;
}

export class Disposer implements DisposableLike {
  private items: DisposableLike[] = [];
  private disposedFlag = false;

  get disposed(): boolean {
    return this.disposedFlag;
  }

  track<T extends DisposableLike>(item: T): T {
    if (this.disposedFlag) item.dispose();
    else this.items.push(item);
    return item;
  }

  untrack(item: DisposableLike): void {
    this.items = this.items.filter((i) => i !== item);
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    const items = this.items.reverse();
    this.items = [];
    for (const item of items) {
      try {
        item.dispose();
      } catch {
        // One failing disposal must not keep the others alive.
      }
    }
  }
}

/** A typed listener list that does not need `vscode` (so pure modules can emit changes). */
export class Emitter<T> {
  private listeners: ((value: T) => void)[] = [];

  readonly event = (listener: (value: T) => void): DisposableLike => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }

  dispose(): void {
    this.listeners = [];
  }
}
