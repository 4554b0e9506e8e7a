import 'reflect-metadata';

/** Adds `value` to a list kept under `key` on a method, so one method can take several events. */
export function appendMethodMetadata(key: string, value: unknown): MethodDecorator {
  return (_target, _property, descriptor) => {
    const method = descriptor.value as object;
    const previous: unknown[] = Reflect.getMetadata(key, method) ?? [];
    Reflect.defineMetadata(key, [...previous, value], method);
    return descriptor;
  };
}

/** Reads the list `appendMethodMetadata` kept on a method. */
export function readMethodMetadata<T>(key: string, method: object): T[] {
  return Reflect.getMetadata(key, method) ?? [];
}
